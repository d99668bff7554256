/**
 * The {@link io.postline.mail.core.Mailer}: the entry point that validates, renders templates,
 * picks providers and reports every step as an event. Also the
 * {@link io.postline.mail.core.InMemoryProvider} for tests and {@link io.postline.mail.core.Templates}.
 */
@NullMarked
package io.postline.mail.core;

import org.jspecify.annotations.NullMarked;
