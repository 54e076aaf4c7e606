namespace Meshwork.Config.Telemetry;

public sealed record Telemetry
{
}
