export * from './lane-key';
export * from './lane.repository';
export * from './lane-append.repository';
export * from './lane-read-model';
