export * from './admin-access.guard';
export * from './current-admin.decorator';
export * from './public.decorator';
export * from './roles.decorator';
