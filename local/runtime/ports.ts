/**
 * The local runtime's ports: the API on N, the EventBridge endpoint on N+1
 * and, with the portal, the portal on N+2 and its OIDC issuer on N+3 (N = 0
 * picks free ports). All are probed before anything slow starts, because a
 * taken port is the commonest reason a start fails.
 */
import { createServer } from 'node:http';
import { LocalRuntimeError } from './errors';
import { freePort, listenOnLoopback } from '../loopback';

export interface PortPlan {
  readonly api: number;
  readonly eventBridge: number;
  /** Present when the portal is served. */
  readonly portal?: { readonly portal: number; readonly issuer: number };
}

export async function planPorts(basePort: number, withPortal: boolean): Promise<PortPlan> {
  const fixed = basePort !== 0;
  const plan: PortPlan = {
    api: basePort,
    eventBridge: fixed ? basePort + 1 : 0,
    ...(withPortal
      ? {
          portal: {
            portal: fixed ? basePort + 2 : await freePort(),
            issuer: fixed ? basePort + 3 : await freePort(),
          },
        }
      : {}),
  };
  if (fixed) {
    await assertPortFree(plan.api, 'the API');
    await assertPortFree(plan.eventBridge, 'the EventBridge endpoint');
    if (plan.portal !== undefined) {
      await assertPortFree(plan.portal.portal, 'the partner portal');
      await assertPortFree(plan.portal.issuer, 'the local OIDC issuer');
    }
  }
  return plan;
}

/** Starts a listener, turning EADDRINUSE into the one-line message that says what to do. */
export async function listen<T>(what: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalRuntimeError(
        `port ${port} (${what}) is in use on 127.0.0.1: stop what holds it, or pass --port N to use N and N+1`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function assertPortFree(port: number, what: string): Promise<void> {
  const probe = await listen(what, port, () => listenOnLoopback(createServer(), port));
  await probe.stop();
}
