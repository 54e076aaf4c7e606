using System.Net;
using Istio.Mixer.V1;

namespace Meshwork.Proxy.Mixer;

/// <summary>
/// istio.mixer.v1.Attributes (what Pilot writes into the filter's config, and what a client proxy
/// forwards in <c>x-istio-attributes</c>) as the typed values the filter works with: string, long,
/// double, bool, DateTimeOffset, TimeSpan, byte[] (an IP address is its bytes, as Istio sends them)
/// and string maps.
/// </summary>
internal static class AttributeValues
{
    /// <summary>The header a client proxy's Mixer filter forwards its attributes in (base64 of Attributes).</summary>
    public const string ForwardHeader = "x-istio-attributes";

    public static Dictionary<string, object> From(Attributes? attributes, string where)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (attributes == null)
        {
            return result;
        }

        foreach (var (name, value) in attributes.Attributes_)
        {
            result[name] = Value(value) ?? throw new ProxyConfigException($"{where}.attributes[\"{name}\"]: a value is required");
        }

        return result;
    }

    /// <summary>The attributes a client proxy forwarded, or none when the header is absent or not base64 Attributes.</summary>
    public static IReadOnlyDictionary<string, object>? Forwarded(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        try
        {
            var attributes = Attributes.Parser.ParseFrom(Convert.FromBase64String(header));
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var (name, value) in attributes.Attributes_)
            {
                if (Value(value) is { } typed)
                {
                    result[name] = typed;
                }
            }

            return result;
        }
        catch (Exception e) when (e is FormatException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static object? Value(Attributes.Types.AttributeValue value) => value.ValueCase switch
    {
        Attributes.Types.AttributeValue.ValueOneofCase.StringValue => value.StringValue,
        Attributes.Types.AttributeValue.ValueOneofCase.Int64Value => value.Int64Value,
        Attributes.Types.AttributeValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        Attributes.Types.AttributeValue.ValueOneofCase.BoolValue => value.BoolValue,
        Attributes.Types.AttributeValue.ValueOneofCase.BytesValue => value.BytesValue.ToByteArray(),
        Attributes.Types.AttributeValue.ValueOneofCase.TimestampValue => value.TimestampValue.ToDateTimeOffset(),
        Attributes.Types.AttributeValue.ValueOneofCase.DurationValue => value.DurationValue.ToTimeSpan(),
        Attributes.Types.AttributeValue.ValueOneofCase.StringMapValue => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(value.StringMapValue.Entries, StringComparer.Ordinal),
        _ => null,
    };

    /// <summary>An IP address as Mixer's client sends it: 4 bytes for IPv4 (also when the socket reports it IPv4-mapped), else 16.</summary>
    public static byte[] IpBytes(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).GetAddressBytes();
}
