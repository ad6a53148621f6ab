import { readTokenClaims, type TokenClaims } from './token-claims';

/** A token that arrived in the console URL, waiting for the person to confirm whose account it opens. */
export interface LinkSignIn {
  token: string;
  /** The account and subject the token names; undefined when it cannot be read, so it cannot be used. */
  claims?: TokenClaims;
  /** The tab's current sign-in, which Continue would replace: it is named, never silently swapped. */
  replacing?: TokenClaims;
}

// Anyone can send a link carrying their own token (login CSRF: the victim would then save their
// receiver's password into the sender's account), so a link's token is only ever a question to the
// person, never a sign-in by itself. The token the tab already uses is not asked about again.
export function linkSignIn(
  linkToken: string | undefined,
  currentToken: string | undefined,
): LinkSignIn | undefined {
  if (!linkToken || linkToken === currentToken) return undefined;
  return {
    token: linkToken,
    claims: readTokenClaims(linkToken),
    replacing: currentToken ? readTokenClaims(currentToken) : undefined,
  };
}
