export * from './common';
export * from './portal';
export * from './consent';
export * from './contact';
export * from './finding';
export * from './action';
export * from './change-event';
