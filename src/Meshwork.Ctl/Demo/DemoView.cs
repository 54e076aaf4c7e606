using System.Globalization;
using Spectre.Console;

namespace Meshwork.Ctl.Demo;

/// <summary>How the tour is shown: a live Spectre.Console table in a terminal, or plain text lines (--no-interactive).</summary>
internal interface IDemoView
{
    void Line(string text);

    void Scenario(DemoScenario scenario);

    void Step(DemoStep step, int number, int total);

    /// <summary>Runs <paramref name="run"/>, showing its batch results as they fill (<paramref name="run"/> calls the refresh it is given).</summary>
    Task<StepOutcome> LiveAsync(DemoStep step, Func<Action<IReadOnlyList<BatchResult>>, Task<StepOutcome>> run);

    void Outcome(DemoStep step, StepOutcome outcome, string? failure);
}

/// <summary>Plain text: one line per batch once it is done; what CI and logs read.</summary>
internal sealed class PlainDemoView(TextWriter stdout) : IDemoView
{
    public void Line(string text) => stdout.WriteLine(text);

    public void Scenario(DemoScenario scenario) => stdout.WriteLine($"== {scenario.Name}: {scenario.Title}");

    public void Step(DemoStep step, int number, int total)
    {
        stdout.WriteLine($"-- step {number}/{total}: {step.Title}{(step.Files.Length > 0 ? $" (applies {string.Join(", ", step.Files)})" : string.Empty)}");
        stdout.WriteLine($"   {step.Explanation}");
    }

    public Task<StepOutcome> LiveAsync(DemoStep step, Func<Action<IReadOnlyList<BatchResult>>, Task<StepOutcome>> run) => run(_ => { });

    public void Outcome(DemoStep step, StepOutcome outcome, string? failure)
    {
        foreach (var result in outcome.Batches.Values)
        {
            stdout.WriteLine(DemoText.Row(result));
        }

        if (step.Counter is { } counter)
        {
            stdout.WriteLine($"   {counter.Name}: +{outcome.CounterDelta}");
        }

        stdout.WriteLine(failure == null ? "   ok" : $"   FAILED: {failure}");
        stdout.Flush();
    }
}

/// <summary>A live table per step (Spectre.Console), updated as answers arrive.</summary>
internal sealed class LiveDemoView(TextWriter stdout) : IDemoView
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });

    public void Line(string text) => _console.MarkupLine(Markup.Escape(text));

    public void Scenario(DemoScenario scenario)
    {
        _console.WriteLine();
        _console.Write(new Rule($"[bold]{Markup.Escape(scenario.Title)}[/] [grey]({Markup.Escape(scenario.Name)})[/]").LeftJustified());
    }

    public void Step(DemoStep step, int number, int total)
    {
        _console.MarkupLine($"[bold yellow]Step {number}/{total}:[/] [bold]{Markup.Escape(step.Title)}[/]");
        _console.MarkupLine($"[grey]{Markup.Escape(step.Explanation)}[/]");
        if (step.Files.Length > 0)
        {
            _console.MarkupLine($"[grey]applied:[/] {Markup.Escape(string.Join(", ", step.Files.Select(f => "samples/bookinfo/config/tasks/" + f)))}");
        }
    }

    public async Task<StepOutcome> LiveAsync(DemoStep step, Func<Action<IReadOnlyList<BatchResult>>, Task<StepOutcome>> run)
    {
        var table = NewTable();
        StepOutcome outcome = null!;
        // Cleared when done: a step may be measured again while its config reaches the proxies, and
        // only the final measurement stays on screen (Outcome).
        await _console.Live(table).AutoClear(true).StartAsync(async context =>
        {
            outcome = await run(results =>
            {
                lock (table)
                {
                    table.Rows.Clear();
                    foreach (var result in results)
                    {
                        table.AddRow(Cells(result));
                    }

                    context.Refresh();
                }
            });
        });
        return outcome;
    }

    public void Outcome(DemoStep step, StepOutcome outcome, string? failure)
    {
        var table = NewTable();
        foreach (var result in outcome.Batches.Values)
        {
            table.AddRow(Cells(result));
        }

        _console.Write(table);
        if (step.Counter is { } counter)
        {
            _console.MarkupLine($"{Markup.Escape(counter.Name)}: [bold]+{outcome.CounterDelta}[/]");
        }

        _console.MarkupLine(failure == null ? "[green]✔ as expected[/]" : $"[red]✘ {Markup.Escape(failure)}[/]");
    }

    private static Table NewTable() => new Table().Border(TableBorder.Rounded)
        .AddColumn("traffic").AddColumn(new TableColumn("requests").RightAligned()).AddColumn("answered by (page shows)")
        .AddColumn("status codes").AddColumn(new TableColumn("p50").RightAligned()).AddColumn(new TableColumn("p99").RightAligned());

    private static string[] Cells(BatchResult result) =>
    [
        Markup.Escape(DemoText.Describe(result.Batch)), $"{result.Done}/{result.Batch.Count}", Colour(result.ViewsText()),
        Markup.Escape(result.StatusText()), DemoText.Milliseconds(result.Percentile(0.5)), DemoText.Milliseconds(result.Percentile(0.99)),
    ];

    /// <summary>The reviews' own colours: v2 black (shown white on dark terminals), v3 red; errors yellow.</summary>
    private static string Colour(string views) => Markup.Escape(views)
        .Replace("v3 ", "[red]v3[/] ", StringComparison.Ordinal).Replace("v2 ", "[bold]v2[/] ", StringComparison.Ordinal)
        .Replace("unavailable", "[yellow]unavailable[/]", StringComparison.Ordinal).Replace("denied", "[yellow]denied[/]", StringComparison.Ordinal);
}

/// <summary>Texts both views share.</summary>
internal static class DemoText
{
    public static string Describe(Batch batch) => batch.User != null ? $"{batch.Name} (signed in)" : batch.Name;

    public static string Milliseconds(double ms) => ms >= 1000 ? (ms / 1000).ToString("0.00 s", CultureInfo.InvariantCulture) : ms.ToString("0 ms", CultureInfo.InvariantCulture);

    public static string Row(BatchResult result) =>
        $"   {Describe(result.Batch)}: {result.Done} requests; answered by: {result.ViewsText()}; status: {result.StatusText()}; p50 {Milliseconds(result.Percentile(0.5))}, p99 {Milliseconds(result.Percentile(0.99))}";
}
