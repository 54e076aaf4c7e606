namespace Meshwork.Citadel;

/// <summary>The key algorithm of a self-signed root (Istio defaults to RSA; Meshwork to ECDSA P-256, which signs far faster).</summary>
public enum CaKeyType
{
    EcdsaP256,
    Rsa2048,
}
