import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { AdminPrincipal } from '@lms/auth';

/** The verified caller ({sub, accountId, roles}); the only source of the account a request acts on. */
export const CurrentAdmin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AdminPrincipal => {
    const request = context.switchToHttp().getRequest<{ user?: AdminPrincipal }>();
    // The global guard ran first; reaching here without a principal means a route was wired wrongly.
    if (!request.user) throw new UnauthorizedException('Authentication required');
    return request.user;
  },
);
