/** Runnable demos of Postline. */
@NullMarked
package io.postline.samples;

import org.jspecify.annotations.NullMarked;
