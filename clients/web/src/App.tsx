import { useEffect } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { AuthPage } from './components/AuthPage';
import { Settings } from './components/Settings';
import { Shell } from './components/Shell';
import { endSession, startSession } from './lib/session';
import { useAuth } from './stores/auth';
import { useTheme } from './stores/theme';

export function App() {
  const status = useAuth((s) => s.status);
  const userId = useAuth((s) => s.userId);
  const theme = useTheme((s) => s.theme);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    void useAuth.getState().restore();
  }, []);

  useEffect(() => {
    if (userId === null) return;
    void startSession(userId).catch((error: unknown) => {
      console.warn('Hearth: the session did not start', error);
    });
    return endSession;
  }, [userId]);

  if (status === 'starting') {
    return (
      <main className="centered" aria-busy="true">
        <p>Connecting…</p>
      </main>
    );
  }
  if (status !== 'signed-in') {
    return (
      <Routes>
        <Route path="/register" element={<AuthPage mode="register" />} />
        <Route path="*" element={<AuthPage mode="login" />} />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route path="/channels/:serverId/:channelId?" element={<Shell />} />
      <Route path="/invite/:code" element={<Shell />} />
      <Route path="/settings" element={<Settings />} />
      <Route path="*" element={<Navigate to="/channels/@me" replace />} />
    </Routes>
  );
}
