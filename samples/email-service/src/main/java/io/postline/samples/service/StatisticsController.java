package io.postline.samples.service;

import jakarta.validation.constraints.Size;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/stats}: the caller's own statistics (read scope); {@code GET /v1/stats/{caller}}:
 * another caller's (operate scope). See {@link CallerStatistics}.
 */
@RestController
@RequestMapping("/v1/stats")
class StatisticsController {
  private final CallerStatistics statistics;

  StatisticsController(CallerStatistics statistics) {
    this.statistics = statistics;
  }

  /** The caller's own statistics. */
  @GetMapping
  CallerStatistics.Snapshot own(@RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller) {
    return of(caller.name(), caller);
  }

  /** One caller's statistics: the caller's own, or anyone's with the operate scope. */
  @GetMapping("/{name}")
  CallerStatistics.Snapshot of(@PathVariable @Size(max = 100) String name,
      @RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller) {
    Access.requireAny(caller, Scope.READ, Scope.OPERATE);
    if (!caller.mayRead(name)) {
      throw new Access.ForbiddenException(Problems.FORBIDDEN, "another caller's statistics need the operate scope");
    }
    return statistics.of(name);
  }
}
