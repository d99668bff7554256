/**
 * The Postline operations console: a small page under the actuator base path (and the management
 * port) over JSON operations of the {@code postlineconsole} actuator endpoint. Opt in with
 * {@code postline.mail.console.enabled=true}; the application's Spring Security must protect it
 * (start-up fails otherwise), and every action needs Spring Security's CSRF token.
 */
@NullMarked
package io.postline.mail.spring.console;

import org.jspecify.annotations.NullMarked;
