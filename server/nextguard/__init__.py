"""nextguard: finds the security mistakes Next.js Server Actions make easy, across the workspace."""

__version__ = "0.1.0"
