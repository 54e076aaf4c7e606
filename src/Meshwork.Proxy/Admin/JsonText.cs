using System.Text;
using System.Text.Json;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// JSON written field by field: mesh-proxy ships as a NativeAOT binary, where reflection-based
/// serialization of anonymous shapes is not available.
/// </summary>
internal static class JsonText
{
    public static string Write(Action<Utf8JsonWriter> write, bool indented = false)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON string literal, quotes included.</summary>
    public static string Quote(string value) => Write(w => w.WriteStringValue(value));
}
