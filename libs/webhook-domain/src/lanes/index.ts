export * from './lane.repository';
