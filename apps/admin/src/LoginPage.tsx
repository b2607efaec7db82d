import Key from '@mui/icons-material/Key';
import { Box, Button, CardContent, CircularProgress, TextField, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { Login, useLogin } from 'react-admin';

/** Sign in with an API token (`retort up` prints the admin token; admins mint more under Tokens). */
const TokenForm = () => {
  const login = useLogin();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      await login({ token });
    } catch (e) {
      const message = e instanceof Error ? e.message : 'Sign-in failed';
      setError(message);
      setPending(false);
    }
  };

  return (
    <Box component="form" onSubmit={submit} noValidate aria-label="Sign in" data-testid="login-form">
      <CardContent sx={{ width: 340 }}>
        <Typography variant="h6" align="center" gutterBottom>
          Retort
        </Typography>
        <Typography variant="body2" color="text.secondary" align="center" sx={{ mb: 2 }}>
          Sign in with an API token
        </Typography>
        <TextField
          id="token"
          name="token"
          label="API token"
          type="password"
          autoComplete="current-password"
          autoFocus
          fullWidth
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
          error={error !== null}
          helperText={error ?? ' '}
          disabled={pending}
          slotProps={{ htmlInput: { 'data-testid': 'login-token' } }}
        />
        <Button
          type="submit"
          variant="contained"
          fullWidth
          sx={{ mt: 1 }}
          disabled={pending || token.trim() === ''}
          data-testid="login-submit"
          startIcon={pending ? <CircularProgress size={18} color="inherit" /> : undefined}
        >
          Sign in
        </Button>
      </CardContent>
    </Box>
  );
};

export const LoginPage = () => (
  <Login avatarIcon={<Key />}>
    <TokenForm />
  </Login>
);
