/**
 * How the loader works: the configuration as one tree while its layers are applied ({@code
 * ConfigTree}), sections placed in it and bound back to their records ({@code SectionBinder}), and
 * the runtime's own sections with their checks ({@code RuntimeChecks}).
 */
package io.courier.runtime.config.impl;
