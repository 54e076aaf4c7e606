using System.Text;
using Meshwork.Config.Loading;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Tests;

/// <summary>
/// Feeds random and mutated YAML/JSON through the whole read-and-validate path and requires that
/// nothing escapes: every input ends as resources or located diagnostics. Seeded, so a failure
/// reproduces; the failing input is printed.
/// </summary>
public class FuzzTests
{
    private const string Significant = ":-[]{}&*!|>'\"#%@,?\n\t  \\0123456789.~<=";

    public static TheoryData<int> Seeds() => [1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ValidateText_MutatedSamples_NeverThrows(int seed)
    {
        var random = new Random(seed);
        var samples = SeedDocuments();
        for (var i = 0; i < 600; i++)
        {
            var sample = samples[random.Next(samples.Count)];
            var mutated = Mutate(sample.Text, random, 1 + random.Next(4));
            Check(mutated, sample.Name, random.Next(8) == 0);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ReadBytes_RandomBytes_NeverThrows(int seed)
    {
        var random = new Random(seed * 7919);
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            if (random.Next(2) == 0)
            {
                // Mostly-text noise gets further into the parser than raw bytes.
                for (var j = 0; j < bytes.Length; j++)
                {
                    bytes[j] = (byte)Significant[bytes[j] % Significant.Length];
                }
            }

            var outcome = Run(() => ConfigValidator.Complete(ConfigReader.ReadBytes(bytes, "noise.yaml")), Convert.ToBase64String(bytes));
            Assert.All(outcome.Diagnostics, d => Assert.True(d.Line >= 1));
        }
    }

    private static void Check(string text, string name, bool asJson)
    {
        var file = asJson ? Path.ChangeExtension(name, ".json") : name;
        var outcome = Run(() => ConfigValidator.ValidateText(text, file), text);
        foreach (var diagnostic in outcome.Diagnostics)
        {
            Assert.True(diagnostic.Line >= 1, $"line {diagnostic.Line} in {diagnostic}");
            var line = diagnostic.ToString();
            Assert.StartsWith(file + ":", line);
            Assert.DoesNotContain("\n   at ", line);
        }
    }

    private static ValidationOutcome Run(Func<ValidationOutcome> action, string input)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message}\n--- input ---\n{input}\n--- end ---\n{e}");
            throw;
        }
    }

    private static string Mutate(string text, Random random, int rounds)
    {
        var sb = new StringBuilder(text);
        for (var r = 0; r < rounds && sb.Length > 0; r++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(7))
            {
                case 0:
                    sb[at] = Significant[random.Next(Significant.Length)];
                    break;
                case 1:
                    sb.Insert(at, Significant[random.Next(Significant.Length)]);
                    break;
                case 2:
                    sb.Remove(at, Math.Min(random.Next(1, 20), sb.Length - at));
                    break;
                case 3:
                    sb.Length = at;
                    break;
                case 4:
                    var lines = sb.ToString().Split('\n').ToList();
                    var l = random.Next(lines.Count);
                    lines.Insert(random.Next(lines.Count), lines[l]);
                    sb.Clear().AppendJoin('\n', lines);
                    break;
                case 5:
                    var all = sb.ToString().Split('\n');
                    var k = random.Next(all.Length);
                    all[k] = new string(' ', random.Next(0, 6)) + all[k].TrimStart();
                    sb.Clear().AppendJoin('\n', all);
                    break;
                default:
                    sb.Insert(at, random.Next(3) switch { 0 => "&a ", 1 => "*a", _ => "<<: *a\n" });
                    break;
            }
        }

        return sb.ToString();
    }

    private static List<(string Name, string Text)> SeedDocuments()
    {
        var seeds = new List<(string, string)>();
        foreach (var dir in new[] { Path.Combine(RepoPaths.IstioSamples, "bookinfo", "networking"), Path.Combine(RepoPaths.Corpus, "valid"), Path.Combine(RepoPaths.Corpus, "invalid") })
        {
            if (Directory.Exists(dir))
            {
                seeds.AddRange(Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllText(f))));
            }
        }

        seeds.Add(("inline.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: r, namespace: ns, labels: {app: x}}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
              subsets:
              - {name: v1, labels: {version: v1}}
            """));
        return seeds;
    }
}
