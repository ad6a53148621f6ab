import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { AdminPrincipal } from '@lms/auth';
import type { AdminActor } from '@lms/webhook-domain/admin';

/**
 * Who acts, for which account: the verified token's `accountId` and `sub`, as the commands take them.
 * Never from the URL or the body.
 */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): AdminActor => {
  const request = context.switchToHttp().getRequest<{ user?: AdminPrincipal }>();
  // The global guard ran first; reaching here without a principal means a route was wired wrongly.
  if (!request.user) throw new UnauthorizedException('Authentication required');
  return { accountId: request.user.accountId, sub: request.user.sub };
});
