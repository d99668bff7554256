/** Benchmarks of Postline beside its peers; run them all with {@code ./mvnw -q -Pbench package}. */
@NullMarked
package io.postline.mail.bench;

import org.jspecify.annotations.NullMarked;
