import { SetMetadata } from '@nestjs/common';

export const REQUIRED_ROLES = 'lmsw:required-roles';

/** The roles a route needs (any one of them). Without it, a route needs INTEGRATION_ADMIN. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_ROLES, roles);
