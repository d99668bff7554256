/**
 * Test support shared through mail-api's test-jar: {@link io.postline.mail.testing.HostileInputs},
 * the seeded generator of hostile inputs for property-based tests. Not part of the API.
 */
@NullMarked
package io.postline.mail.testing;

import org.jspecify.annotations.NullMarked;
