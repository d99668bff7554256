/**
 * What Postline's durable stores share: {@link io.postline.mail.queue.codec.EncryptionKeys}, the
 * AES keys for encryption at rest and their rotation.
 */
@NullMarked
package io.postline.mail.queue.codec;

import org.jspecify.annotations.NullMarked;
