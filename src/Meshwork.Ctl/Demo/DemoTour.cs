namespace Meshwork.Ctl.Demo;

/// <summary>
/// Walks scenarios on a running <see cref="DemoMesh"/>: each step applies its files, sends its
/// batches and checks its expectation. A step is measured again (for up to 30 s) while its
/// expectation fails, because a new config takes a moment to reach every proxy; the last
/// measurement is the one shown and judged.
/// </summary>
internal sealed class DemoTour(DemoMesh mesh, IDemoView view, Func<CancellationToken, Task>? pause)
{
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IdleGap = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="scenario"/>'s steps in order; the reasons of the steps that failed (empty when all held).</summary>
    public async Task<List<string>> RunAsync(DemoScenario scenario, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        view.Scenario(scenario);
        for (var i = 0; i < scenario.Steps.Length; i++)
        {
            var step = scenario.Steps[i];
            view.Step(step, i + 1, scenario.Steps.Length);
            var failure = await RunStepAsync(step, cancellationToken);
            if (failure != null)
            {
                failures.Add($"{scenario.Name}, step {i + 1} ({step.Title}): {failure}");
            }

            if (pause != null && (i + 1 < scenario.Steps.Length))
            {
                await pause(cancellationToken);
            }
        }

        // The next scenario starts from the base config again.
        mesh.Apply([]);
        return failures;
    }

    private async Task<string?> RunStepAsync(DemoStep step, CancellationToken cancellationToken)
    {
        mesh.Apply(step.Files, step.Replaces);
        var deadline = DateTime.UtcNow + Convergence;
        while (true)
        {
            var outcome = await view.LiveAsync(step, refresh => MeasureAsync(step, refresh, cancellationToken));
            var failure = step.Expect(outcome);
            if (failure == null || DateTime.UtcNow >= deadline)
            {
                view.Outcome(step, outcome, failure);
                return failure;
            }

            // Pooled connections keep the inbound policy they were accepted under; idle for longer
            // than the sample's 1 s idle timeout, they close, and the next measurement opens new ones.
            await Task.Delay(IdleGap, cancellationToken);
        }
    }

    private async Task<StepOutcome> MeasureAsync(DemoStep step, Action<IReadOnlyList<BatchResult>> refresh, CancellationToken cancellationToken)
    {
        var before = step.Counter is { } counter ? await counter.Read(mesh) : 0;
        var results = new List<BatchResult>();
        foreach (var batch in step.Batches)
        {
            var index = results.Count;
            results.Add(new BatchResult(batch));
            results[index] = await TrafficProbe.RunAsync(mesh, batch, r =>
            {
                lock (results)
                {
                    results[index] = r;
                    refresh(results.ToArray());
                }
            }, cancellationToken);
        }

        long? delta = null;
        if (step.Counter is { } after)
        {
            // Mirrored copies are fire and forget: give the last ones a moment to arrive before counting.
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            delta = await after.Read(mesh) - before;
        }

        return new StepOutcome(results.ToDictionary(r => r.Batch.Name, StringComparer.Ordinal), delta);
    }
}
