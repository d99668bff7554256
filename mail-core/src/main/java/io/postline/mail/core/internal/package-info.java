/** Implementation details of mail-core; not API, may change in any release. */
@NullMarked
package io.postline.mail.core.internal;

import org.jspecify.annotations.NullMarked;
