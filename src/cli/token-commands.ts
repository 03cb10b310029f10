import { dirname } from 'node:path';

import type { Command } from 'commander';

import { TOKEN_SCOPES, TokenStore, type TokenScope } from '../api/token-store.ts';
import { CallsignError } from '../core/errors.ts';
import { storeUrl, type Engine } from '../engine/engine.ts';
import type { CliContext } from './main.ts';

interface Common {
  config?: string;
  json?: boolean;
}

/** tokens create|list|revoke: bearer tokens of the API and SCIM. */
export function registerTokenCommands(program: Command, ctx: CliContext) {
  const withTokens = async (opts: Common, fn: (tokens: TokenStore) => Promise<void>) => {
    const engine: Engine = await ctx.open({ config: opts.config, connectors: false });
    const tokens = TokenStore.open(storeUrl(engine.config.store, dirname(engine.config.file)), {
      clock: engine.clock,
      audit: (entry) => engine.store.audit(entry),
    });
    try {
      await fn(tokens);
    } finally {
      await tokens.close();
      await engine.close();
    }
  };
  const tokens = program.command('tokens').description('bearer tokens for the API and SCIM');

  tokens
    .command('create')
    .description('make a token and print it once; only its hash is kept')
    .requiredOption('--name <name>', 'a name to list and revoke it by')
    .requiredOption('--scope <scope>', `one of ${TOKEN_SCOPES.join(', ')}`)
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common & { name: string; scope: string }) =>
      withTokens(opts, async (store) => {
        if (!(TOKEN_SCOPES as readonly string[]).includes(opts.scope)) {
          throw new CallsignError(
            'config',
            `--scope: '${opts.scope}' is not one of ${TOKEN_SCOPES.join(', ')}`,
          );
        }
        const made = await store.create({
          name: opts.name,
          scope: opts.scope as TokenScope,
          actor: ctx.actor,
        });
        if (opts.json) ctx.out(JSON.stringify({ token: made.token, ...made.info }, null, 2));
        else {
          ctx.out(made.token);
          ctx.err(`token '${opts.name}' (${opts.scope}) made: it is shown this once, keep it safe`);
        }
      }),
    );

  tokens
    .command('list')
    .description('every token: name, scope, created, last used, revoked')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .option('--json', 'print as JSON')
    .action((opts: Common) =>
      withTokens(opts, async (store) => {
        const list = await store.list();
        if (opts.json) return ctx.out(JSON.stringify(list, null, 2));
        for (const t of list) {
          const used = t.lastUsedAt ? `last used ${t.lastUsedAt}` : 'never used';
          const revoked = t.revokedAt ? `  REVOKED ${t.revokedAt}` : '';
          ctx.out(`${t.name}  ${t.scope}  created ${t.createdAt}  ${used}${revoked}`);
        }
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<name>', 'token name')
    .option('-c, --config <file>', 'configuration file (default callsign.yaml)')
    .action((name: string, opts: Common) =>
      withTokens(opts, async (store) => {
        await store.revoke(name, ctx.actor);
        ctx.out(`token '${name}' revoked`);
      }),
    );
}
