import { setImmediate } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { MAX_PACKAGE_NAME_LENGTH, MAX_REQUEST_PACKAGES, SECURITY_DATA_ROUTE, type SecurityDataJson, securityDataToJson } from '../../scan/tracker-api.js';
import { UnknownBranchError, trackerSecurityDataSlices } from '../../scan/tracker.js';
import { nestsDeeperThan } from '../../formats/json-depth.js';
import { getDataVersion, listBranches } from '../../store/index.js';
import { HttpError, badRequest } from '../errors.js';
import { type VersionedBuild, builtAtVersion } from '../per-version.js';
import type { WebContext } from '../web-context.js';
import { vulnerabilityOrder } from '../vulnerability-order.js';

/**
 * Bytes one name may take on average. apk names are ASCII and Alpine's origins average under 15
 * characters, the longest under 64; a name of up to MAX_PACKAGE_NAME_LENGTH is still taken as
 * long as the whole body fits.
 */
const NAME_BYTES_BUDGET = 64;
/**
 * The largest body: the most names a request may give, each at the budget, quoted and
 * comma-separated, plus 1 KiB for the object around them: 20,000 × (64 + 3) + 1,024 bytes,
 * about 1.3 MB, which parses in milliseconds.
 */
const SECURITY_DATA_BODY_LIMIT = MAX_REQUEST_PACKAGES * (NAME_BYTES_BUDGET + 3) + 1024;
/** `{"packages": [names]}` nests two deep; a deeper body is refused before it is parsed. */
const SECURITY_DATA_MAX_DEPTH = 2;

/** The origins a request names, deduplicated; anything but `{"packages": [names]}` is a 400. */
function parseRequest(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('expected a JSON object {"packages": [...]}');
  const extra = Object.keys(body).filter((key) => key !== 'packages');
  if (extra.length > 0) throw badRequest(`unknown field ${JSON.stringify(extra[0])}; expected only "packages"`);
  const packages = (body as { packages?: unknown }).packages;
  if (!Array.isArray(packages)) throw badRequest('"packages" must be an array of origin package names');
  if (packages.length > MAX_REQUEST_PACKAGES) throw badRequest(`"packages" has ${packages.length} names; at most ${MAX_REQUEST_PACKAGES} are allowed`);
  packages.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || name === '' || name.length > MAX_PACKAGE_NAME_LENGTH) {
      throw badRequest(`"packages"[${index}] must be a non-empty string of at most ${MAX_PACKAGE_NAME_LENGTH} characters`);
    }
  });
  return [...new Set(packages as string[])];
}

const SECTIONS = ['fixes', 'open', 'rejected', 'notAffected', 'published'] as const;
type SectionName = (typeof SECTIONS)[number];

/**
 * A whole branch's security data as answer text: the fields every answer shares, and each
 * origin's entry (`"origin":JSON`) per section. It depends only on the data version, so it is
 * built once per version and a request is answered by looking its origins up.
 */
interface BranchAnswers {
  /** `{"branch":...,"repos":...,"sources":...` without the closing brace. */
  readonly head: string;
  readonly sections: Readonly<Record<SectionName, ReadonlyMap<string, string>>>;
}

/**
 * Origins read and written per slice of a branch's answers: at full size (5,000 origins per
 * repository) a slice of 100 measured 20-80 ms of CPU on a loaded 2-core machine.
 */
const DEFAULT_ORIGINS_PER_SLICE = 100;

/** How often a listening server looks for a new data version to build every branch's answers for. */
const DEFAULT_CHECK_EVERY_MS = 10_000;

/** How the route builds a branch's answers (ServerOptions.securityData). */
export interface SecurityDataOptions {
  /** Origins read per slice, with a turn of the event loop between slices (100 when absent). */
  readonly originsPerSlice?: number;
  /** How often a listening server looks for a new data version, to build every branch's answers before a scan asks (10 s when absent). */
  readonly checkEveryMs?: number;
}

/**
 * The branch's answers, read and written a slice of origins at a time with a turn of the event
 * loop between slices: at full size the whole branch is over a second of work, which in one go
 * held every other request (/healthz included). `betweenSlices` gives that turn, and may stop
 * the build (throwing) or hold it longer.
 */
async function loadBranchAnswers(web: WebContext, branch: string, originsPerSlice: number, betweenSlices: () => Promise<void>): Promise<BranchAnswers> {
  let head = '';
  const sections = Object.fromEntries(SECTIONS.map((name) => [name, new Map<string, string>()])) as Record<SectionName, Map<string, string>>;
  for await (const slice of trackerSecurityDataSlices(web.db, web.origin(), branch, originsPerSlice)) {
    const json: SecurityDataJson = securityDataToJson(slice);
    // Every slice has the branch's own fields, the answer's head.
    head = JSON.stringify(Object.fromEntries(Object.entries(json).filter(([key]) => !(SECTIONS as readonly string[]).includes(key)))).slice(0, -1);
    for (const name of SECTIONS) {
      for (const [origin, value] of Object.entries(json[name])) sections[name].set(origin, `${JSON.stringify(origin)}:${JSON.stringify(value)}`);
    }
    await betweenSlices();
  }
  return { head, sections };
}

/**
 * The answer to `origins`: each section's entries in the order the request names them, a turn of
 * the event loop after each section (20,000 names make an answer of megabytes).
 */
async function answerText(answers: BranchAnswers, origins: readonly string[]): Promise<string> {
  const sections: string[] = [];
  for (const name of SECTIONS) {
    const texts = answers.sections[name];
    const entries: string[] = [];
    for (const origin of origins) {
      const entry = texts.get(origin);
      if (entry !== undefined) entries.push(entry);
    }
    sections.push(`"${name}":{${entries.join(',')}}`);
    await setImmediate();
  }
  return `${answers.head},${sections.join(',')}}`;
}

/**
 * `POST /api/branch/:branch/security-data` with `{"packages": [origins]}`: the branch's fix
 * lines, open, rejected and not-affected vulnerabilities and published versions for those origins, which
 * `secfix scan --server` decides findings from. Not a Resource: the answer depends on the body,
 * so it is neither negotiated nor cached by URL, and errors are always JSON. Its own scope
 * parses JSON with a small body limit and a nesting check before parsing.
 */
export function registerSecurityDataRoute(app: FastifyInstance, web: WebContext, options: SecurityDataOptions = {}): void {
  const originsPerSlice = options.originsPerSlice ?? DEFAULT_ORIGINS_PER_SLICE;
  /** Per branch, its answers for the data version they were built at. */
  const built = new Map<string, VersionedBuild<BranchAnswers>>();
  const closing = new AbortController();
  const betweenSlices = async () => {
    await setImmediate();
    closing.signal.throwIfAborted();
  };
  /** Work requests wait for (the builds they started, the answers being written), which a build ahead of requests gives way to. */
  const requestWork = new Set<Promise<unknown>>();
  const forRequest = <T>(work: Promise<T>): Promise<T> => {
    requestWork.add(work);
    const forget = () => requestWork.delete(work);
    work.then(forget, forget);
    return work;
  };
  const aheadBetweenSlices = async () => {
    await betweenSlices();
    while (requestWork.size > 0) await Promise.allSettled([...requestWork]);
  };
  const answersFor = async (branch: string): Promise<BranchAnswers> => {
    const { version } = await getDataVersion(web.db);
    return builtAtVersion(built, branch, version, () => forRequest(loadBranchAnswers(web, branch, originsPerSlice, betweenSlices)));
  };

  // Once listening, every branch's answers are built ahead of requests, and again for each new
  // data version, so a scan rarely waits for a build. Never under inject (tests): onListen does not run.
  let builtAhead: number | undefined;
  let building: Promise<void> | undefined;
  const buildAhead = async () => {
    const { version } = await getDataVersion(web.db);
    if (version === builtAhead) return;
    // The package page's order of vulnerabilities too, in this one loop of work ahead of
    // requests: read for a new data version, it would be most of that page's first answer.
    await vulnerabilityOrder(web, version);
    for (const { name } of await listBranches(web.db)) {
      const start = performance.now();
      await builtAtVersion(built, name, version, () => loadBranchAnswers(web, name, originsPerSlice, aheadBetweenSlices));
      app.log.info({ branch: name, dataVersion: version, ms: Math.round(performance.now() - start) }, 'security data built');
    }
    builtAhead = version;
  };
  const check = () => {
    building ??= buildAhead()
      .catch((error: unknown) => {
        if (!closing.signal.aborted) app.log.error({ err: error }, 'building the security data ahead of requests failed');
      })
      .finally(() => {
        building = undefined;
      });
  };
  let checks: NodeJS.Timeout | undefined;
  app.addHook('onListen', (done) => {
    check();
    checks = setInterval(check, options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS).unref();
    done();
  });
  // After the requests in flight are answered: stops a build between slices, before the store closes.
  app.addHook('onClose', async () => {
    clearInterval(checks);
    closing.abort();
    await building;
  });

  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, parsed) => {
      const text = body as string;
      if (nestsDeeperThan(text, SECURITY_DATA_MAX_DEPTH)) {
        parsed(badRequest(`the body nests arrays or objects deeper than ${SECURITY_DATA_MAX_DEPTH} levels; expected {"packages": [names]}`), undefined);
        return;
      }
      try {
        parsed(null, JSON.parse(text));
      } catch (error) {
        parsed(badRequest(`the body is not valid JSON: ${(error as Error).message}`), undefined);
      }
    });
    scope.setErrorHandler((error, _request, _reply) => {
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new HttpError(413, `the body is larger than ${SECURITY_DATA_BODY_LIMIT} bytes (${MAX_REQUEST_PACKAGES} names of ${NAME_BYTES_BUDGET} characters)`);
      }
      throw error;
    });
    scope.post<{ Params: { branch: string } }>(SECURITY_DATA_ROUTE, {
      bodyLimit: SECURITY_DATA_BODY_LIMIT,
      // Set before the body is parsed, so malformed JSON and oversized bodies answer JSON too.
      onRequest: (request, _reply, next) => {
        request.secfixFormat = 'json';
        next();
      },
      handler: async (request, reply) => {
        const origins = parseRequest(request.body);
        try {
          const answers = await answersFor(request.params.branch);
          return await reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(await forRequest(answerText(answers, origins)));
        } catch (error) {
          if (error instanceof UnknownBranchError) throw new HttpError(404, error.problem);
          throw error;
        }
      },
    });
    done();
  });
}
