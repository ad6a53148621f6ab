import { SetMetadata } from '@nestjs/common';
import { PUBLIC_ROUTE } from '@lms/observability';

/** Marks a route or controller as reachable without a token. Everything else is denied by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
