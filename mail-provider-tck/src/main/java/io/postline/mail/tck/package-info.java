/**
 * The provider contract test kit: {@link io.postline.mail.tck.MailProviderContractTest} is an
 * abstract JUnit Jupiter test class that every {@link io.postline.mail.spi.MailProvider}
 * implementation extends in its own test sources, so that the same {@link io.postline.mail.Email}
 * gives the same message, and the same kind of trouble the same
 * {@link io.postline.mail.FailureKind}, whichever provider sends it.
 */
@NullMarked
package io.postline.mail.tck;

import org.jspecify.annotations.NullMarked;
