using System.Buffers;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Meshwork.Bench.ControlPlane;

/// <summary>One resource of a delta response as a simulated proxy keeps it: name, version, size and what it references.</summary>
public sealed record RawResource(string Name, string Version, int Length, string[] Dependencies);

/// <summary>A DeltaDiscoveryResponse as the simulated proxies need it.</summary>
public sealed class RawDeltaResponse
{
    public string TypeUrl { get; set; } = "";

    public string SystemVersionInfo { get; set; } = "";

    public string Nonce { get; set; } = "";

    public List<RawResource> Resources { get; } = [];

    public List<string> RemovedResources { get; } = [];

    /// <summary>The probe this response carries the awaited change for, if any.</summary>
    public Probe? Probe { get; set; }
}

/// <summary>
/// The delta ADS call with responses read in place: names, versions and the references of new
/// clusters and listeners are taken from the message bytes, and the probe's pattern is searched
/// there, without copying each resource out. A thousand proxies share the machine with the meshd
/// being measured; parsing a 0.7 MB route table into objects for each of them cost as much CPU as
/// meshd spent sending it.
/// </summary>
public static class RawDelta
{
    public static Method<DeltaDiscoveryRequest, RawDeltaResponse> Method(FleetState fleet) => new(
        MethodType.DuplexStreaming,
        "envoy.service.discovery.v3.AggregatedDiscoveryService",
        "DeltaAggregatedResources",
        Marshallers.Create(r => r.ToByteArray(), DeltaDiscoveryRequest.Parser.ParseFrom),
        Marshallers.Create<RawDeltaResponse>((_, _) => throw new NotSupportedException("the simulated proxies only read responses"), context => Parse(context.PayloadAsReadOnlySequence(), fleet.Probe)));

    public static RawDeltaResponse Parse(ReadOnlySequence<byte> payload, Probe? probe)
    {
        if (payload.IsSingleSegment)
        {
            return Parse(payload.FirstSpan, probe);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        try
        {
            payload.CopyTo(buffer);
            return Parse(buffer.AsSpan(0, (int)payload.Length), probe);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static RawDeltaResponse Parse(ReadOnlySpan<byte> data, Probe? probe)
    {
        var response = new RawDeltaResponse();
        var resources = new List<(string Name, string Version, int Start, int Length)>();
        var fields = new Fields(data);
        while (fields.Next(out var field, out var value, out var at))
        {
            switch (field)
            {
                case 1: response.SystemVersionInfo = Encoding.UTF8.GetString(value); break;
                case 2: resources.Add(Resource(value, at)); break;
                case 4: response.TypeUrl = Encoding.UTF8.GetString(value); break;
                case 5: response.Nonce = Encoding.UTF8.GetString(value); break;
                case 6: response.RemovedResources.Add(Encoding.UTF8.GetString(value)); break;
            }
        }

        // Fields come in number order, so the type URL (4) is known only after the resources (2).
        foreach (var (name, version, start, length) in resources)
        {
            var value = data.Slice(start, length);
            response.Resources.Add(new RawResource(name, version, length, XdsTypes.DependenciesOf(response.TypeUrl, name, version, value)));
            if (probe != null && probe.TypeUrl == response.TypeUrl && (probe.ResourceName == null || probe.ResourceName == name) && value.IndexOf(probe.Pattern) >= 0)
            {
                response.Probe = probe;
            }
        }

        return response;
    }

    /// <summary>envoy.service.discovery.v3.Resource: name = 3, version = 1, resource = 2 (an Any: value = 2).</summary>
    private static (string Name, string Version, int Start, int Length) Resource(ReadOnlySpan<byte> data, int offset)
    {
        string name = "", version = "";
        int start = offset, length = 0;
        var fields = new Fields(data);
        while (fields.Next(out var field, out var value, out var at))
        {
            switch (field)
            {
                case 1: version = XdsTypes.Intern(Encoding.UTF8.GetString(value)); break;
                case 2: (start, length) = AnyValue(value, offset + at); break;
                case 3: name = XdsTypes.Intern(Encoding.UTF8.GetString(value)); break;
            }
        }

        return (name, version, start, length);
    }

    private static (int Start, int Length) AnyValue(ReadOnlySpan<byte> data, int offset)
    {
        var fields = new Fields(data);
        while (fields.Next(out var field, out var value, out var at))
        {
            if (field == 2)
            {
                return (offset + at, value.Length);
            }
        }

        return (offset, 0);
    }

    /// <summary>The length-delimited fields of one message, in order, each with its offset in the message; other wire types are skipped.</summary>
    private ref struct Fields(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public bool Next(out int field, out ReadOnlySpan<byte> value, out int offset)
        {
            while (_pos < _data.Length)
            {
                var (number, wire) = Tag(_data, ref _pos);
                if (wire != 2)
                {
                    Skip(_data, ref _pos, wire);
                    continue;
                }

                var length = (int)Varint(_data, ref _pos);
                field = number;
                offset = _pos;
                value = _data.Slice(_pos, length);
                _pos += length;
                return true;
            }

            field = 0;
            offset = 0;
            value = default;
            return false;
        }
    }

    private static (int Field, int Wire) Tag(ReadOnlySpan<byte> data, ref int pos)
    {
        var tag = Varint(data, ref pos);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a varint longer than 10 bytes");
    }

    private static void Skip(ReadOnlySpan<byte> data, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: Varint(data, ref pos); break;
            case 1: pos += 8; break;
            case 2: pos += (int)Varint(data, ref pos); break;
            case 5: pos += 4; break;
            default: throw new InvalidDataException($"wire type {wire} is not expected in a delta response");
        }
    }
}
