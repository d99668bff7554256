/**
 * Spring Boot auto-configuration of a Postline {@link io.postline.mail.core.Mailer}: the
 * {@code postline.mail.*} properties ({@link io.postline.mail.spring.PostlineMailProperties}),
 * the {@code postline} health indicator and the {@code postline} actuator endpoint.
 * Add {@code io.postline:mail-spring-boot-starter} and set
 * {@code postline.mail.providers.NAME.dsn}.
 */
@NullMarked
package io.postline.mail.spring;

import org.jspecify.annotations.NullMarked;
