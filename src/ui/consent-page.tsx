import type { RedirectDestination } from '../oauth/redirect-uri';
import { CsrfField, Layout, Notice } from './layout';

export interface ConsentPageProps {
  serviceName: string;
  csrfToken: string;
  signedInAs: string;
  clientName: string;
  registrationType: 'dcr' | 'cimd' | 'app';
  /** For OAuth apps registered in settings: the email of the person who registered it. */
  ownerEmail?: string | undefined;
  /** For metadata-document clients: the host that published the document. */
  documentHost?: string | undefined;
  /** Where the code goes afterwards (MUST be shown for CIMD clients; RFC 8252 §8.6). */
  destination: RedirectDestination;
  scopes: { name: string; description: string }[];
  /** The authorization request, re-validated in full when the form comes back. */
  request: string;
}

function Destination(props: RedirectDestination) {
  if (props.kind === 'web') {
    return (
      <p class="destination">
        Afterwards you will be sent to <strong class="redirect-host">{props.host}</strong>.
      </p>
    );
  }
  return (
    <>
      <p class="destination">
        {props.kind === 'app' ? (
          <>
            Afterwards access goes to an app on this device that opens <strong>{props.scheme}</strong> links.
          </>
        ) : (
          <>
            Afterwards access goes to a program on this computer (<strong>{props.host}</strong>).
          </>
        )}
      </p>
      <p class="help">
        {props.kind === 'app'
          ? 'Any app installed on this device can claim such links. '
          : 'Any program running on this computer can listen there. '}
        Only allow this if you started the connection from it yourself.
      </p>
    </>
  );
}

/**
 * The consent page. Everything shown comes from the client's registration or document and is escaped
 * by JSX; the decision buttons post back with the session's CSRF token. Served with `no-store` and
 * `frame-ancestors 'none'` so it can neither be cached nor framed for clickjacking.
 */
export function ConsentPage(props: ConsentPageProps) {
  return (
    <Layout
      title="Allow access"
      serviceName={props.serviceName}
      signedInAs={props.signedInAs}
      csrfToken={props.csrfToken}
      narrow
    >
      <h1>
        Allow <span class="client-name">{props.clientName}</span> to use your {props.serviceName} account?
      </h1>
      {props.registrationType === 'dcr' ? (
        <Notice kind="warning">
          This application registered itself automatically. {props.serviceName} has not verified that it is
          really “{props.clientName}”. Continue only if you just asked it to connect to {props.serviceName}.
        </Notice>
      ) : null}
      {props.registrationType === 'app' && props.ownerEmail ? (
        <p class="owner">
          Registered by <strong>{props.ownerEmail}</strong> as an OAuth app on {props.serviceName}.
        </p>
      ) : null}
      {props.registrationType === 'cimd' ? (
        <Notice kind="warning">
          This application is described by a document published at <strong>{props.documentHost}</strong>.{' '}
          {props.serviceName} has not reviewed it. Continue only if you trust that site and just asked it to
          connect.
        </Notice>
      ) : null}
      <p>
        Signed in as <strong>{props.signedInAs}</strong>. If you allow it, the application can:
      </p>
      <ul class="scopes">
        {props.scopes.map((s) => (
          <li>
            <strong>{s.name}</strong> — {s.description}
          </li>
        ))}
      </ul>
      <Destination {...props.destination} />
      <form method="post" action="/oauth2/authorize" class="decision">
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="request" value={props.request} />
        <div class="actions">
          <button type="submit" name="decision" value="approve">
            Allow
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </div>
      </form>
      <p class="help">You can disconnect it at any time under Apps in your settings.</p>
    </Layout>
  );
}
