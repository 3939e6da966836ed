/** Name, place and company lists for the seed generator (fictional combinations of common names). */
export const NL_FIRST = [
  'Jan', 'Pieter', 'Kees', 'Henk', 'Willem', 'Daan', 'Sem', 'Lucas', 'Bram', 'Thijs', 'Ruben', 'Jeroen', 'Sander',
  'Mark', 'Bas', 'Joost', 'Niels', 'Wouter', 'Mohamed', 'Youssef', 'Emre', 'Anouk', 'Sanne', 'Lotte', 'Emma',
  'Julia', 'Fleur', 'Iris', 'Femke', 'Marieke', 'Ingrid', 'Annelies', 'Marloes', 'Esther', 'Nienke', 'Eva',
  'Sophie', 'Lisa', 'Noor', 'Fatma', 'Aylin', 'Priya', 'Mirjam', 'Hanneke', 'Gerrit', 'Teun', 'Floor', 'Tessa',
] as const;
export const NL_LAST: readonly (readonly [string, string])[] = [
  // [tussenvoegsel, achternaam]
  ['', 'Jansen'], ['de', 'Vries'], ['van den', 'Berg'], ['van', 'Dijk'], ['', 'Bakker'], ['', 'Janssen'],
  ['', 'Visser'], ['', 'Smit'], ['', 'Meijer'], ['de', 'Boer'], ['', 'Mulder'], ['de', 'Groot'], ['', 'Bos'],
  ['', 'Vos'], ['', 'Peters'], ['', 'Hendriks'], ['van', 'Leeuwen'], ['', 'Dekker'], ['', 'Brouwer'],
  ['de', 'Wit'], ['', 'Dijkstra'], ['', 'Smits'], ['de', 'Graaf'], ['van der', 'Meer'], ['van der', 'Linden'],
  ['', 'Kok'], ['', 'Jacobs'], ['de', 'Haan'], ['', 'Vermeulen'], ['van den', 'Heuvel'], ['van der', 'Veen'],
  ['van den', 'Broek'], ['de', 'Bruijn'], ['van der', 'Heijden'], ['', 'Schouten'], ['van', 'Beek'],
  ['', 'Willems'], ['van', 'Vliet'], ['van de', 'Ven'], ['', 'Hoekstra'], ['', 'Maas'], ['', 'Verhoeven'],
  ['', 'Koster'], ['van', 'Dam'], ['van der', 'Wal'], ['', 'Prins'], ['', 'Blom'], ['', 'Huisman'],
  ['', 'Yilmaz'], ['el', 'Amrani'], ['', 'Bouzid'], ['', 'Kaya'], ["'t", 'Hart'], ['ter', 'Horst'],
];
export const NL_CITIES = [
  'Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht', 'Eindhoven', 'Groningen', 'Tilburg', 'Almere', 'Breda',
  'Nijmegen', 'Apeldoorn', 'Haarlem', 'Arnhem', 'Enschede', 'Amersfoort', 'Zaandam', "'s-Hertogenbosch",
  'Zwolle', 'Leiden', 'Maastricht', 'Dordrecht', 'Delft', 'Deventer', 'Leeuwarden', 'Alkmaar', 'Hilversum',
] as const;
export const NL_COMPANIES = [
  'Bakkerij De Korenaar', 'Installatiebedrijf Vos', 'Gemeente Zaanstad', 'Van Dijk Transport BV', 'Tandartspraktijk Oost',
  'Hoveniersbedrijf Groen', 'De Vries Advocaten', 'Kinderopvang Zonnestraal', 'TechNova BV', 'Bouwbedrijf Mulder',
  'Fietsenmaker Bos', 'Accountantskantoor Smit & Co', 'Zorggroep Noord', 'Hogeschool Utrecht', 'Kapsalon Knip',
] as const;
export const NL_JOBS = [
  'Inkoper', 'Office manager', 'Eigenaar', 'Directeur', 'Projectleider', 'Administratief medewerker', 'HR-adviseur',
  'Marketeer', 'Facilitair coördinator', 'Teamleider', 'Financieel controller', 'Docent', 'Verpleegkundige',
] as const;
export const EN_FIRST = [
  'James', 'Oliver', 'George', 'Harry', 'Jack', 'Charlie', 'Thomas', 'William', 'Daniel', 'Samuel', 'Aidan', 'Rhys',
  'Amelia', 'Olivia', 'Isla', 'Emily', 'Poppy', 'Ava', 'Jessica', 'Sophie', 'Grace', 'Chloe', 'Hannah', 'Megan',
  'Siobhan', 'Aisha', 'Ravi', 'Priya', 'Kwame', 'Zara',
] as const;
export const EN_LAST = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright', 'Thompson',
  'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke', 'Patel', 'Khan', "O'Brien",
  'Hughes', 'Edwards', 'Turner', 'Murphy', 'Campbell', 'Baker', 'Morgan',
] as const;
export const EN_CITIES = [
  'London', 'Manchester', 'Birmingham', 'Leeds', 'Bristol', 'Liverpool', 'Sheffield', 'Edinburgh', 'Glasgow',
  'Cardiff', 'Nottingham', 'Brighton', 'Oxford', 'Cambridge', 'York', 'Belfast', 'Reading', 'Norwich',
] as const;
export const EN_COMPANIES = [
  'Acme Widgets Ltd', 'Northwind Logistics', 'Brightside Dental', 'Harbour & Co Solicitors', 'Greenfield Farms',
  'Pinnacle Software Ltd', 'St Mary Primary School', 'Oakwood Care Home', 'Riverside Builders', 'Blue Fox Design',
] as const;
export const EN_JOBS = [
  'Procurement Manager', 'Office Manager', 'Managing Director', 'Operations Lead', 'Account Manager', 'HR Officer',
  'Marketing Executive', 'Finance Director', 'Teacher', 'Practice Manager', 'Head of IT', 'Nurse',
] as const;
export const NL_MAIL_DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.com', 'ziggo.nl', 'kpnmail.nl', 'xs4all.nl', 'live.nl', 'example.nl'] as const;
export const EN_MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'btinternet.com', 'hotmail.co.uk', 'example.co.uk'] as const;
