using Meshwork.Config.Store;
using Meshwork.Config.Validation;
using Meshwork.Registry.AutoRegistration;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Registry.Tests.Support;

/// <summary>Reads Istio YAML the way meshd does (validate, keep the valid resources, publish a snapshot) and converts it.</summary>
internal static class TestConfig
{
    public const string File = "t.yaml";

    public static ConfigSnapshot Snapshot(string yaml)
    {
        var outcome = ConfigValidator.ValidateText(yaml, File);
        Assert.True(outcome.IsValid, "expected valid config, got:\n" + string.Join("\n", outcome.Errors));
        Assert.NotEmpty(outcome.Valid);
        var store = new ConfigStore();
        store.ReplaceSource(File, outcome.Valid);
        return store.Current;
    }

    public static RegistryContent Convert(string yaml, params WorkloadInstance[] autoRegistered) =>
        ServiceEntryConverter.Convert(Snapshot(yaml), autoRegistered);

    public static RegistrySnapshot Registry(string yaml, params WorkloadInstance[] autoRegistered) =>
        RegistrySnapshot.Create(1, Convert(yaml, autoRegistered));

    public static ProxyRegistration Proxy(string name, string address, string labels, string @namespace = "default", string ports = "", string serviceAccount = "") => new()
    {
        Name = name,
        Namespace = @namespace,
        Address = address,
        Labels = Labels(labels),
        Ports = new(ParsePairs(ports).Select(p => KeyValuePair.Create(p.Key, uint.Parse(p.Value, System.Globalization.CultureInfo.InvariantCulture)))),
        ServiceAccount = serviceAccount,
    };

    /// <summary><c>app=reviews,version=v1</c> → a label map.</summary>
    public static Meshwork.Config.Values.ValueMap<string, string> Labels(string labels) => new(ParsePairs(labels));

    private static IEnumerable<KeyValuePair<string, string>> ParsePairs(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(kv => KeyValuePair.Create(kv[0], kv[1]));
}
