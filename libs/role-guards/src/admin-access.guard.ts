import { ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ADMIN_JWT_STRATEGY, INTEGRATION_ADMIN_ROLE, type AdminPrincipal } from '@lms/auth';
import { PUBLIC_ROUTE } from '@lms/observability';
import { REQUIRED_ROLES } from './roles.decorator';

/**
 * The admin API's one global guard, deny by default: a route is reachable without a token only if it
 * is marked @Public(), and every other route needs a valid token carrying one of its @Roles (default
 * INTEGRATION_ADMIN). A forgotten decorator therefore locks a route, never opens it.
 */
@Injectable()
export class AdminAccessGuard extends AuthGuard(ADMIN_JWT_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true) return true;

    await super.canActivate(context);
    const principal = context.switchToHttp().getRequest<{ user?: AdminPrincipal }>().user;
    if (!principal) throw new UnauthorizedException('Authentication required');

    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, targets) ?? [
      INTEGRATION_ADMIN_ROLE,
    ];
    if (!required.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenException(`This route needs the role ${required.join(' or ')}`);
    }
    return true;
  }

  override handleRequest<TUser = AdminPrincipal>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error || !user) throw new UnauthorizedException(describeAuthFailure(info));
    return user;
  }
}

function describeAuthFailure(info: unknown): string {
  if (info instanceof Error) {
    if (info.name === 'TokenExpiredError') return 'The token has expired';
    if (info.message === 'No auth token') return 'A bearer token is required (Authorization: Bearer <JWT>)';
    return 'The token is invalid';
  }
  return 'The token is invalid or lacks the required claims (sub, accountId, roles, exp)';
}
