/** Tests use the same table prefixes as the benchmarks, from scripts/lib (bench/ may not import test/). */
export { uniqueTablePrefix } from '../../scripts/lib/unique-table-prefix';
