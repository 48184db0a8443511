/** The operator's view of a process ({@code GET /admin}) and the sections its parts add to it. */
package io.courier.runtime.admin;
