/**
 * An email service on the Postline Spring Boot starter: {@code POST /v1/emails} and
 * {@code GET /v1/emails/{id}} behind service-to-service bearer tokens, with per-caller rate limits,
 * RFC 9457 problem details, health and Prometheus metrics.
 */
@NullMarked
package io.postline.samples.service;

import org.jspecify.annotations.NullMarked;
