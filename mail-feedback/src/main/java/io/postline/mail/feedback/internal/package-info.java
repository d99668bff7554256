/** Internals of the feedback module: JSON reading, replay memory, SNS certificates. */
@NullMarked
package io.postline.mail.feedback.internal;

import org.jspecify.annotations.NullMarked;
