import { CsrfField } from './layout';

export interface ProviderChoice {
  id: string;
  name: string;
}

/**
 * One button per sign-in provider; each is a POST form (with the CSRF token) so that no other site
 * can start a sign-in in this browser. Renders nothing when no provider is configured.
 */
export function ProviderButtons(props: {
  providers: readonly ProviderChoice[];
  csrfToken: string;
  returnTo?: string | undefined;
  verb: 'Sign in' | 'Sign up';
  /** False when the buttons are the only way in (no password form above them). */
  alternative?: boolean;
}) {
  if (props.providers.length === 0) return null;
  const heading = props.alternative === false ? `${props.verb} with` : `Or ${props.verb.toLowerCase()} with`;
  return (
    <section class="providers" aria-labelledby="providers-heading">
      <h2 id="providers-heading" class="providers-heading">
        {heading}
      </h2>
      {props.providers.map((p) => (
        <form method="post" action={`/auth/${p.id}/start`} class="provider">
          <CsrfField token={props.csrfToken} />
          {props.returnTo && props.returnTo !== '/' ? (
            <input type="hidden" name="return_to" value={props.returnTo} />
          ) : null}
          <button type="submit" class="secondary">
            Continue with {p.name}
          </button>
        </form>
      ))}
    </section>
  );
}
