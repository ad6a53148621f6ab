export * from './admin-access.guard';
export * from './public.decorator';
export * from './roles.decorator';
