using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Meshwork.Xds.Protos;

/// <summary>JSON of xDS messages (including the <c>Any</c>s inside), as Envoy's config_dump shows them.</summary>
public static class XdsJson
{
    /// <summary>Every message type of this assembly, so <c>Any</c> payloads can be printed.</summary>
    public static TypeRegistry Types { get; } = TypeRegistry.FromFiles(
        typeof(XdsJson).Assembly.GetTypes()
            .Where(t => typeof(IMessage).IsAssignableFrom(t) && t.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static) != null)
            .Select(t => ((MessageDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!).File)
            .Distinct());

    public static JsonFormatter Formatter { get; } = new(JsonFormatter.Settings.Default.WithTypeRegistry(Types).WithIndentation("  "));

    public static JsonParser Parser { get; } = new(JsonParser.Settings.Default.WithTypeRegistry(Types));

    public static string Format(IMessage message) => Formatter.Format(message);
}
