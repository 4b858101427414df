import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, attachCustomSynthesis, ISynthesisSession, Stack } from 'aws-cdk-lib';
import { appSourceDigest } from '../bundle-input-hash';
import { LAMBDA_BUNDLER_CONTEXT } from '../house-bundler';
import type { PlatformConfig } from '../config/load-config';
import type { CachedCloudFormationValidatePlugin } from '../validation-cache/cached-cloudformation-validate-plugin';
import type { CachedNagChecks } from '../validation-cache/cached-nag-checks';
import { contentKey, packageVersion, ValidationCache } from '../validation-cache/validation-cache';
import { CachedShardStack, ShardStackEntry, StoredFileAsset } from './cached-shard-stack';

/** The cache kind of whole shard stacks (beside lib/validation-cache's kinds, in the same directory). */
export const SHARD_STACK_KIND = 'shard-stack';
const KIND = SHARD_STACK_KIND;

/** Context keys that say where to read and cache, never what a template holds. */
const NOT_TEMPLATE_CONTEXT = [
  'partnersDir',
  'validationCache',
  'validationCacheDir',
  'stackCache',
  LAMBDA_BUNDLER_CONTEXT,
];

/** Environment variables aws-cdk-lib reads while building a stack (debug traces, the default environment). */
const CDK_ENVIRONMENT = ['CDK_DEBUG', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION'];

const CREATION_STACK = 'aws:cdk:creationStack';
const TREE_FILE = 'tree.json';
const TREE_MAX_NODES_CONTEXT = '@aws-cdk/core.TreeMetadata:maxNodes';
const TREE_MAX_NODES_DEFAULT = 500_000;
/** Stands in for a served stack's subtree while tree.json is serialized (NUL never occurs in a construct id). */
const SERVED_MARK = '\u0000served-stack:';
const SERVED_MARKS = /"\\u0000served-stack:([^"]*)"/g;

export interface ShardStackCacheOptions {
  readonly rootDir: string;
  /** cdk-nag as the app runs it: a stack is served only when its findings are stored and empty. */
  readonly nag: CachedNagChecks;
  /**
   * The CloudFormation validation, when the synth runs it: a stack is
   * served only when its template's findings are stored and empty.
   * @default not run, so not required
   */
  readonly cloudFormation?: CachedCloudFormationValidatePlugin;
  /** Digest of the app's source files. @default appSourceDigest(rootDir) */
  readonly sourceDigest?: string;
}

interface Served {
  readonly stack: CachedShardStack;
}

interface Built {
  readonly stack: Stack;
  readonly key: string;
}

/**
 * Whole shard stacks served from a content-keyed cache. A shard stack's key
 * is the digest of everything its synthesis reads: the stack's id and props
 * (its shard plan holds its partners' parsed config, names and patterns),
 * the environment config, the event catalog, the app's source files
 * (bin/, lib/, lambda/, the package and compiler files), the aws-cdk-lib,
 * constructs, cdk-nag and Node versions, the app's context (feature flags
 * and the CLI's settings) and the CDK environment variables. An unchanged
 * shard is not built: a {@link CachedShardStack} writes the stored
 * template, metadata and tree; cdk-nag's and the CloudFormation
 * validation's findings come from their own caches, and a stack is served
 * only when both are stored and empty (a stack with findings is always
 * built, so the report can name its constructs). Every other stack is built
 * and, after synthesis, stored.
 */
export class ShardStackCache {
  private readonly served: Served[] = [];
  private readonly built: Built[] = [];
  private readonly common: string;
  private readonly outdir: string;

  constructor(
    private readonly cache: ValidationCache,
    app: App,
    config: PlatformConfig,
    private readonly options: ShardStackCacheOptions,
  ) {
    this.outdir = app.outdir;
    const context = { ...app.node.getAllContext() } as Record<string, unknown>;
    for (const key of NOT_TEMPLATE_CONTEXT) delete context[key];
    this.common = contentKey([
      'shard-stack-cache/1',
      JSON.stringify(['aws-cdk-lib', 'constructs', 'cdk-nag'].map(packageVersion)),
      process.version,
      options.rootDir,
      options.sourceDigest ?? appSourceDigest(options.rootDir),
      JSON.stringify(sortedKeys(context)),
      JSON.stringify(CDK_ENVIRONMENT.map((name) => process.env[name] ?? null)),
      JSON.stringify(config.environment),
      JSON.stringify(config.catalog),
    ]);
    attachCustomSynthesis(app, { onSynthesize: (session) => this.afterStacks(session) });
  }

  /**
   * The key of a stack with this id and these props (everything else is
   * common to the app). The cloud assembly's path relative to the project
   * is part of it: a staged asset's path (and a bundle's source map) depends on it.
   */
  public keyOf(id: string, props: unknown): string {
    return contentKey([this.common, path.relative(this.outdir, this.options.rootDir), id, JSON.stringify(props)]);
  }

  /** The stored synthesis of the stack under `key`, when it may be served (see the class). */
  public lookup(
    key: string,
    stackPath: string,
    environment: { account?: string; region?: string },
  ): ShardStackEntry | undefined {
    const entry = this.cache.peek<ShardStackEntry>(KIND, key);
    const servable =
      entry !== undefined && this.findingsFree(entry, stackPath, environment) && this.assetsStaged(entry);
    this.cache.record(KIND, servable);
    return servable ? entry : undefined;
  }

  /** Records a stack served from the cache or built under `key`, for the steps after synthesis. */
  public track(stack: Stack, key: string): void {
    if (stack instanceof CachedShardStack) this.served.push({ stack });
    else this.built.push({ stack, key });
  }

  /** A stored stack's assets must already be in the cloud assembly (CDK stages an asset once per hash, as here). */
  private assetsStaged(entry: ShardStackEntry): boolean {
    return (entry.assets ?? []).every((asset) => existsSync(path.resolve(this.outdir, asset.path)));
  }

  private findingsFree(
    entry: ShardStackEntry,
    stackPath: string,
    environment: { account?: string; region?: string },
  ): boolean {
    if (this.options.nag.peek(entry.nagKey)?.length !== 0) return false;
    if (!this.options.cloudFormation) return true;
    const cfnKey = this.options.cloudFormation.keyOf(
      { stackConstructPath: stackPath, accountId: environment.account, region: environment.region },
      entry.template,
    );
    return this.options.cloudFormation.peek(cfnKey)?.length === 0;
  }

  /** Runs after every stack and the tree are written, before the assembly is built and validated. */
  private afterStacks(session: ISynthesisSession): void {
    const outdir = session.assembly.outdir;
    const treeText = readFileSync(path.join(outdir, TREE_FILE), 'utf8');
    const fragmented = readdirSync(outdir).some((name) => /^trees-\d+\.json$/.test(name));
    const tree = JSON.parse(treeText) as { tree: TreeNode };
    for (const { stack, key } of this.built) {
      const entry = fragmented ? undefined : this.entryOf(stack, outdir, tree.tree);
      if (entry) this.cache.put(KIND, key, entry);
    }
    if (this.served.length === 0) return;
    if (fragmented) throw new Error('tree.json is split into trees-N.json files; synth with -c stackCache=off');
    for (const { stack } of this.served) writeMetadata(stack, outdir);
    writeFileSync(path.join(outdir, TREE_FILE), this.servedTree(tree));
  }

  private entryOf(stack: Stack, outdir: string, tree: TreeNode): ShardStackEntry | undefined {
    const metadataFile = path.join(outdir, `${stack.artifactId}.metadata.json`);
    const subtree = tree.children?.[stack.node.id];
    if (!existsSync(metadataFile) || !subtree) return undefined;
    const metadata = splitMetadata(stack, readFileSync(metadataFile, 'utf8'));
    if (!metadata) return undefined;
    const template = readFileSync(path.join(outdir, stack.templateFile), 'utf8');
    const assets = fileAssets(stack, outdir);
    if (!assets) return undefined;
    return {
      template,
      ...metadata,
      ...(assets.length === 0 ? {} : { assets }),
      tree: JSON.stringify(subtree),
      treeNodes: nodeCount(subtree),
      nagKey: this.options.nag.keyOf(stack, template),
    };
  }

  /** tree.json with each served stack's stored subtree in place of its empty one, written as CDK writes it. */
  private servedTree(tree: { tree: TreeNode }): string {
    const children = tree.tree.children ?? {};
    let nodes = nodeCount(tree.tree);
    const subtrees = new Map<string, string>();
    for (const { stack } of this.served) {
      const id = stack.node.id;
      nodes += stack.served.treeNodes - nodeCount(children[id]);
      subtrees.set(id, stack.served.tree);
      (children as Record<string, unknown>)[id] = `${SERVED_MARK}${id}`;
    }
    const maxNodes = Number(this.served[0].stack.node.tryGetContext(TREE_MAX_NODES_CONTEXT) ?? TREE_MAX_NODES_DEFAULT);
    if (nodes >= maxNodes) {
      throw new Error(`tree.json would hold ${nodes} nodes, over ${maxNodes} per file; synth with -c stackCache=off`);
    }
    // One pass over the text: each mark (a JSON string) becomes the stored subtree.
    return JSON.stringify(tree).replace(SERVED_MARKS, (mark: string, id: string) => subtrees.get(id) ?? mark);
  }
}

interface AssetManifest {
  readonly files?: Record<
    string,
    { source: { path?: string; packaging?: string; executable?: unknown }; displayName?: string }
  >;
  readonly dockerImages?: Record<string, unknown>;
}

/**
 * The stack's file assets besides its template, from the asset manifest
 * CDK wrote for it; undefined when the stack has assets a served stack
 * could not declare again (container images, assets built by a command).
 */
function fileAssets(stack: Stack, outdir: string): StoredFileAsset[] | undefined {
  const file = path.join(outdir, `${stack.artifactId}.assets.json`);
  if (!existsSync(file)) return [];
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as AssetManifest;
  if (Object.keys(manifest.dockerImages ?? {}).length > 0) return undefined;
  const assets: StoredFileAsset[] = [];
  for (const [sourceHash, { source, displayName }] of Object.entries(manifest.files ?? {})) {
    if (source.path === stack.templateFile) continue;
    if (source.path === undefined || source.executable !== undefined) return undefined;
    assets.push({
      sourceHash,
      path: source.path,
      packaging: source.packaging as StoredFileAsset['packaging'],
      ...(displayName === undefined ? {} : { displayName }),
    });
  }
  return assets;
}

interface TreeNode {
  readonly children?: Record<string, TreeNode>;
}

function nodeCount(node: TreeNode | undefined): number {
  if (!node) return 0;
  return 1 + Object.values(node.children ?? {}).reduce((sum, child) => sum + nodeCount(child), 0);
}

function sortedKeys(object: Record<string, unknown>): Array<[string, unknown]> {
  return Object.keys(object)
    .sort()
    .map((key) => [key, object[key]]);
}

/**
 * CDK writes a stack's metadata file as `JSON.stringify(metadata, undefined, 2)`
 * with the stack's own entries first, its creation stack trace (when
 * recorded) the first of them. Returns the text after that trace.
 */
function splitMetadata(
  stack: Stack,
  text: string,
): Pick<ShardStackEntry, 'metadataAfterTrace' | 'metadataHasTrace'> | undefined {
  const head = metadataHead(stack);
  const trace = creationTrace(stack);
  if (!text.startsWith(head + trace)) return undefined;
  return { metadataAfterTrace: text.slice(head.length + trace.length), metadataHasTrace: trace !== '' };
}

function writeMetadata(stack: CachedShardStack, outdir: string): void {
  const trace = creationTrace(stack);
  if ((trace !== '') !== stack.served.metadataHasTrace) {
    throw new Error(
      `${stack.node.path}: creation stack traces differ from the stored synthesis; synth with -c stackCache=off`,
    );
  }
  const text = metadataHead(stack) + trace + stack.served.metadataAfterTrace;
  writeFileSync(path.join(outdir, `${stack.artifactId}.metadata.json`), text);
}

function metadataHead(stack: Stack): string {
  return `{\n  ${JSON.stringify(`/${stack.node.path}`)}: [\n    `;
}

/** The stack's creation trace entry as it appears in the metadata file, or '' when none was recorded. */
function creationTrace(stack: Stack): string {
  const entry = stack.node.metadata.find((md) => md.type === CREATION_STACK);
  if (!entry) return '';
  return JSON.stringify(stack.resolve(entry), undefined, 2).split('\n').join('\n    ');
}
