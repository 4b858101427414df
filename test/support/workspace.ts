/** Tests use the same workspace helpers as the benchmarks, from scripts/lib (bench/ may not import test/). */
export * from '../../scripts/lib/workspace';
