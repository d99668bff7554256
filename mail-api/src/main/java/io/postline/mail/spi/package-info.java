/**
 * The provider SPI: implement {@link io.postline.mail.spi.MailProvider} and register a
 * {@link io.postline.mail.spi.MailProviderFactory} in {@code META-INF/services} to plug in a new
 * way of sending. Providers classify every failure with a {@link io.postline.mail.FailureKind}.
 */
@NullMarked
package io.postline.mail.spi;

import org.jspecify.annotations.NullMarked;
