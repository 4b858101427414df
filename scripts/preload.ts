/**
 * Preloaded into every tool this repository runs on Node (ts-node reads it
 * from tsconfig.json; jest from its setupFiles and global setup). Lambda
 * runs Node 22, but the tools, the local runtime and the tests run on the
 * developer's Node (20 here), where every AWS SDK v3 client warns that its
 * releases after January 2027 need Node 22; one copy per process floods the
 * output and says nothing about the code. An explicit setting wins.
 */
export const QUIET_SDK_ENV = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } as const;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??=
  QUIET_SDK_ENV.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
