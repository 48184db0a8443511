package io.courier.runtime.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Tasks handed to contexts in batches")
class ContextBatchesTest {

  @Test
  @DisplayName(
      "run on their own (duplicated) contexts and threads, in the order handed over, from a"
          + " foreign thread")
  void shouldRunEachTaskOnItsContextInOrder(Vertx vertx) throws Exception {
    ContextInternal loop = (ContextInternal) vertx.getOrCreateContext();
    ContextInternal first = loop.duplicate();
    ContextInternal second = loop.duplicate();
    ContextInternal workerContext =
        ((io.vertx.core.internal.VertxInternal) vertx).createWorkerContext();
    ContextBatches batches = new ContextBatches();
    int tasks = 3_000;
    List<String> wrong = new CopyOnWriteArrayList<>();
    List<Integer> order = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(tasks);
    Thread foreign =
        new Thread(
            () -> {
              for (int i = 0; i < tasks; i++) {
                int n = i;
                ContextInternal target =
                    switch (i % 3) {
                      case 0 -> first;
                      case 1 -> second;
                      default -> workerContext;
                    };
                batches.run(
                    target,
                    () -> {
                      if (Vertx.currentContext() != target) {
                        wrong.add("task " + n + " ran on " + Vertx.currentContext());
                      }
                      if (target != workerContext) {
                        order.add(n);
                        if (!Context.isOnEventLoopThread()) {
                          wrong.add("task " + n + " left the event loop");
                        }
                      } else if (!Context.isOnWorkerThread()) {
                        wrong.add("worker task " + n + " not on a worker thread");
                      }
                      done.countDown();
                    });
              }
            },
            "foreign");
    foreign.start();
    assertThat(done.await(20, TimeUnit.SECONDS)).as("every task ran").isTrue();
    assertThat(wrong).isEmpty();
    assertThat(order).as("event-loop tasks in hand-over order").isSorted().hasSize(2_000);
  }
}
