/**
 * The queue dashboard (bull-board) at /admin/queues, for operators.
 *
 * bull-board has no login of its own, so everything under the prefix (page, static assets, its /api)
 * sits behind HTTP Basic with OPS_USER/OPS_PASSWORD: browsers prompt for it, scripts pass `curl -u`.
 * Browsers also replay Basic credentials on cross-site requests, so a request that can change a queue
 * (anything but GET/HEAD) must carry a same-origin signal, or another site could pause or clean a queue
 * from an operator's browser. The page may not be framed (clickjacking) nor cached.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { AppError } from '../../domain/errors.js';
import type { Caller } from '../auth.js';
import { malformedPath, problemOf, sendProblem } from '../problem.js';

export const DASHBOARD_PATH = '/admin/queues';
const REALM = 'Basic realm="transfer-gateway operators", charset="UTF-8"';

export interface DashboardDeps {
  /** Every queue the gateway uses, with what it holds; the dashboard shows them in this order. */
  queues: readonly { queue: Queue; description: string }[];
  user: string;
  password: string;
  /** Show queues and jobs, refuse every change (bull-board hides its buttons; we refuse server-side). */
  readOnly: boolean;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * HTTP Basic, compared in constant time: both sides are hashed to equal length, and the user and the
 * password are both compared before the answer is combined, so timing tells neither which was wrong.
 */
export function basicAuthChecker(user: string, password: string): (authorization?: string) => boolean {
  const userDigest = sha256(user);
  const passwordDigest = sha256(password);
  return (authorization) => {
    const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(authorization?.trim() ?? '');
    const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const presentedUser = colon >= 0 ? decoded.slice(0, colon) : '';
    const presentedPassword = colon >= 0 ? decoded.slice(colon + 1) : '';
    const userOk = timingSafeEqual(sha256(presentedUser), userDigest);
    const passwordOk = timingSafeEqual(sha256(presentedPassword), passwordDigest);
    return colon >= 0 && userOk && passwordOk;
  };
}

const hostOf = (url: string): string | null => {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
};

/**
 * Is this request from a page of the gateway itself? Fetch metadata when the browser sends it; otherwise
 * the Origin (or, lacking one, the Referer) must name the host the request was sent to.
 */
export function isSameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const from = req.get('origin') ?? req.get('referer');
  if (from === undefined) return false;
  const host = hostOf(from);
  return host !== null && host === req.host?.toLowerCase();
}

function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  };
}

function operatorAuth(user: string, password: string): RequestHandler {
  const check = basicAuthChecker(user, password);
  return (req, res, next) => {
    if (!check(req.get('authorization'))) {
      const problem = problemOf(
        new AppError('unauthenticated', 'UNAUTHENTICATED', 'operator credentials (HTTP Basic) are required'),
      );
      res.setHeader('WWW-Authenticate', REALM);
      res.status(401).type('application/problem+json').send(JSON.stringify(problem));
      return;
    }
    const caller: Caller = { keyId: 'operator', scopes: new Set() };
    res.locals.caller = caller;
    next();
  };
}

/**
 * bull-board answers a malformed percent-encoding in its route parameters with its own error body; it
 * is refused here first, so the dashboard answers it as every other route does (400 MALFORMED_PATH).
 */
function wellFormedPath(): RequestHandler {
  return (req, _res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      next(malformedPath());
      return;
    }
    next();
  };
}

function changeGuard(readOnly: boolean): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    if (!isSameOrigin(req)) {
      sendProblem(
        res,
        new AppError(
          'forbidden',
          'CSRF_REJECTED',
          'a request that changes queues must come from the dashboard itself ' +
            '(Sec-Fetch-Site: same-origin, or an Origin naming this host)',
        ),
      );
      return;
    }
    if (readOnly) {
      sendProblem(res, new AppError('forbidden', 'READ_ONLY', 'the queue dashboard is read-only'));
      return;
    }
    next();
  };
}

/**
 * The dashboard as an express application to mount at DASHBOARD_PATH, its guards in front of everything
 * bull-board serves there. Mounted with `app.use`, it inherits the parent's settings (trust proxy).
 */
export function dashboardApp(deps: DashboardDeps): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.map(
      ({ queue, description }) => new BullMQAdapter(queue, { readOnlyMode: deps.readOnly, description }),
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Transfer gateway',
        hideDocsLink: true,
        miscLinks: [{ text: 'API docs', url: '/docs' }],
      },
    },
  });
  // The adapter's router is typed `any` upstream; it is the express application it builds.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');
  const admin = express();
  admin.disable('x-powered-by');
  admin.use(
    securityHeaders(),
    operatorAuth(deps.user, deps.password),
    wellFormedPath(),
    changeGuard(deps.readOnly),
  );
  admin.use(board);
  return admin;
}
