import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FileAssetPackaging, ISynthesisSession, Stack, StackProps } from 'aws-cdk-lib';
import { CDK_TEMPLATE_FILE_KEY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';

/** What a shard stack's synthesis wrote, stored under the digest of everything it was made of. */
export interface ShardStackEntry {
  /** The template file's text. */
  readonly template: string;
  /**
   * The stack's metadata file after its own creation stack trace (the one
   * part that depends on where the app was called from, taken fresh).
   */
  readonly metadataAfterTrace: string;
  readonly metadataHasTrace: boolean;
  /** The stack's subtree of tree.json, as JSON text, and how many nodes it holds. */
  readonly tree: string;
  readonly treeNodes: number;
  /** Where cdk-nag's findings for the stack are stored (lib/validation-cache). */
  readonly nagKey: string;
  /**
   * The stack's file assets besides its template (the platform stack's
   * Lambda bundles), in the order its asset manifest lists them.
   * @default none
   */
  readonly assets?: readonly StoredFileAsset[];
}

/** A file asset as the stack's asset manifest lists it. */
export interface StoredFileAsset {
  readonly sourceHash: string;
  /** Relative to the cloud assembly directory. */
  readonly path: string;
  readonly packaging: FileAssetPackaging;
  readonly displayName?: string;
}

export interface CachedShardStackProps extends StackProps {
  /** The stored synthesis of the same stack, from the same inputs (required; optional only so one constructor type fits both shard stack classes). */
  readonly served?: ShardStackEntry;
}

/**
 * A shard stack, or the platform stack, whose every input is unchanged
 * since a synth that stored it (lib/stack-cache/shard-stack-cache.ts): a
 * real Stack with the same id, environment, description, tags and
 * dependencies, so CDK writes its manifest entry and asset manifest as for
 * the built stack, but no resources; its template is the stored text, its
 * file assets the stored ones (already staged in the cloud assembly), and
 * its metadata and tree are the stored ones (put in place by the stack
 * cache after synthesis).
 */
export class CachedShardStack extends Stack {
  public readonly served: ShardStackEntry;

  constructor(scope: Construct, id: string, props: CachedShardStackProps) {
    super(scope, id, props);
    if (!props.served) throw new Error(`${this.node.path}: a cached shard stack needs its stored synthesis`);
    this.served = props.served;
    for (const asset of props.served.assets ?? []) {
      this.synthesizer.addFileAsset({
        sourceHash: asset.sourceHash,
        fileName: asset.path,
        packaging: asset.packaging,
        ...(asset.displayName === undefined ? {} : { displayName: asset.displayName }),
      });
    }
  }

  /** Writes the stored template where CDK writes a built stack's; CDK hashes that file for the asset manifest. */
  public _synthesizeTemplate(session: ISynthesisSession): void {
    this.node.addMetadata(CDK_TEMPLATE_FILE_KEY, this.templateFile);
    writeFileSync(path.join(session.assembly.outdir, this.templateFile), this.served.template);
  }
}
