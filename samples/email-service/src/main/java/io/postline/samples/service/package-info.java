/**
 * An email service on the Postline Spring Boot starter: {@code POST /v1/emails}, {@code GET
 * /v1/emails/{id}}, {@code /v1/dead-letters} and {@code /v1/stats} behind service-to-service bearer
 * tokens (configured only as hashes, made by the {@code new-token} command) with scopes (send, read
 * its own, operate on everyone's), allowed senders, per-caller rate limits and a request body limit;
 * RFC 9457 problem details, health and Prometheus metrics. See the sample's README.
 */
@NullMarked
package io.postline.samples.service;

import org.jspecify.annotations.NullMarked;
