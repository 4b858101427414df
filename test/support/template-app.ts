export { templateApp } from '../../scripts/lib/template-app';
